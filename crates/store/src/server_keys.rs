//! The server's own keys (for hashing codes, deriving decoys, linking the audit log), sealed under
//! the key-encryption key. They outlive a change of that key: `ea-server kek rotate` seals them
//! anew, so codes and links made before stay valid.

use crate::entities::server_key;
use crate::{Conn, Result};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};

/// The sealed key named `name`, if there is one.
pub async fn get(conn: &impl Conn, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(server_key::Entity::find_by_id(name.to_owned())
        .one(conn)
        .await?
        .map(|k| k.sealed))
}

/// Stores a new key; [`StoreError::Duplicate`] when another process stored one first.
pub async fn insert(conn: &impl Conn, name: &str, sealed: Vec<u8>, now: i64) -> Result<()> {
    let row = server_key::ActiveModel {
        name: Set(name.to_owned()),
        sealed: Set(sealed),
        created_at: Set(now),
    };
    row.insert(conn)
        .await
        .map_err(|e| crate::duplicate_or(e, format!("server key {name}")))?;
    Ok(())
}

/// Every key, by name.
pub async fn all(conn: &impl Conn) -> Result<Vec<server_key::Model>> {
    Ok(server_key::Entity::find()
        .order_by_asc(server_key::Column::Name)
        .all(conn)
        .await?)
}

/// Replaces a key's sealed value (after the key-encryption key changed).
pub async fn reseal(conn: &impl Conn, name: &str, sealed: Vec<u8>) -> Result<()> {
    let row = server_key::ActiveModel {
        name: Set(name.to_owned()),
        sealed: Set(sealed),
        ..Default::default()
    };
    row.update(conn).await?;
    Ok(())
}
