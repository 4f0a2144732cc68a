//! The throw-away OpenLDAP server of `ea-testkit`, and its directory as the server configures it.

pub use ea_testkit::ldap::*;

/// The configuration of a tenant's directory on `slapd`.
pub fn config(slapd: &Slapd, timeout_seconds: u64) -> ea_server::config::LdapConfig {
    toml::from_str(&slapd.config_toml(timeout_seconds)).expect("directory configuration")
}
