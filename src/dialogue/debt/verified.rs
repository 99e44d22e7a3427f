//! The proof that the caller passed the identity check.
//!
//! Disclosure of the debt (creditor, amount, due date) is built only from a
//! [`VerifiedAccount`], and the only way to get one is [`VerifiedAccount::check`] with the
//! right digits, so no prompt before verification can carry the debt.

use super::account::Account;

/// An account whose holder gave the right last four digits of their DNI or NIE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct VerifiedAccount(Account);

impl VerifiedAccount {
    /// Returns the verified account when `digits` are the last four of the holder's id.
    pub(super) fn check(account: &Account, digits: &str) -> Option<Self> {
        let expected = account.national_id_last4.trim();
        (!expected.is_empty() && digits == expected).then(|| Self(account.clone()))
    }

    /// Returns the account, whose debt may now be disclosed.
    pub(super) fn account(&self) -> &Account {
        &self.0
    }
}
