//! Where a card's admin key comes from. Two providers: keys imported per card from the card
//! management system (sealed under the KEK), and keys diversified from the tenant's master key
//! and the card serial (`ea_core::cryptogram::diversify`). The card row says which applies.

use ea_core::cryptogram::{CardAlgorithm, diversify};
use ea_core::seal::Kek;
use ea_store::entities::card;
use ea_store::tenants::Tenant;
use zeroize::Zeroizing;

pub const IMPORTED: &str = "imported";
pub const DIVERSIFIED: &str = "diversified";

#[derive(Debug, thiserror::Error)]
pub enum CardKeyError {
    #[error("the card's key cannot be unsealed")]
    Unseal,
    #[error("the tenant has no card master key")]
    NoMasterKey,
    #[error("the card record is inconsistent: {0}")]
    BadRecord(String),
}

pub fn card_aad(tenant: &str, serial: &str) -> String {
    format!("card:{tenant}:{serial}")
}

pub fn master_aad(tenant: &str) -> String {
    format!("card-master:{tenant}")
}

#[async_trait::async_trait]
pub trait CardKeyProvider: Send + Sync + std::fmt::Debug {
    async fn admin_key(
        &self,
        tenant: &Tenant,
        card: &card::Model,
    ) -> Result<Zeroizing<Vec<u8>>, CardKeyError>;
}

/// Per-card keys imported from a file.
#[derive(Debug, Clone)]
pub struct ImportedKeys {
    pub kek: Kek,
}

#[async_trait::async_trait]
impl CardKeyProvider for ImportedKeys {
    async fn admin_key(
        &self,
        tenant: &Tenant,
        card: &card::Model,
    ) -> Result<Zeroizing<Vec<u8>>, CardKeyError> {
        let sealed = card
            .sealed_key
            .as_ref()
            .ok_or_else(|| CardKeyError::BadRecord("imported card without a key".into()))?;
        self.kek
            .open(&card_aad(&tenant.slug, &card.serial), sealed)
            .map_err(|_| CardKeyError::Unseal)
    }
}

/// Keys derived from the tenant master key and the serial.
#[derive(Debug, Clone)]
pub struct DiversifiedKeys {
    pub kek: Kek,
}

#[async_trait::async_trait]
impl CardKeyProvider for DiversifiedKeys {
    async fn admin_key(
        &self,
        tenant: &Tenant,
        card: &card::Model,
    ) -> Result<Zeroizing<Vec<u8>>, CardKeyError> {
        let sealed = tenant
            .card_master_key
            .as_ref()
            .ok_or(CardKeyError::NoMasterKey)?;
        let master = self
            .kek
            .open(&master_aad(&tenant.slug), sealed)
            .map_err(|_| CardKeyError::Unseal)?;
        let alg = CardAlgorithm::parse(&card.algorithm)
            .ok_or_else(|| CardKeyError::BadRecord(format!("algorithm {:?}", card.algorithm)))?;
        let serial = hex::decode(&card.serial)
            .map_err(|_| CardKeyError::BadRecord("serial is not hex".into()))?;
        Ok(diversify(&master, &serial, alg))
    }
}

/// The provider for a card's `key_source`.
pub fn provider_for(source: &str, kek: &Kek) -> Result<Box<dyn CardKeyProvider>, CardKeyError> {
    match source {
        IMPORTED => Ok(Box::new(ImportedKeys { kek: kek.clone() })),
        DIVERSIFIED => Ok(Box::new(DiversifiedKeys { kek: kek.clone() })),
        other => Err(CardKeyError::BadRecord(format!("key source {other:?}"))),
    }
}
