//! What an agent sees when the dialogue hands a caller over.

use serde_json::{Value, json};

use super::DebtDialogue;
use crate::dialogue::CallContext;

impl DebtDialogue {
    /// Context of a transfer for `reason`: the account and holder, the verification status,
    /// the debt (only once verified), what was offered and agreed, and the step.
    pub(super) fn transfer_context(&self, reason: &str, request: Option<Value>) -> Value {
        let verification = if self.verified.is_some() {
            "verified"
        } else if self.verification_failed {
            "failed"
        } else {
            "not_verified"
        };
        let agreed = self
            .result
            .as_ref()
            .filter(|outcome| outcome.kind.is_agreement());

        let mut context = json!({
            "account_found": self.account.is_some(),
            "account_id": self.account.as_ref().map(|a| a.id.clone()),
            "holder_name": self.account.as_ref().map(|a| a.full_name.clone()),
            "verification": verification,
            "offered": self.offers,
            "agreed": agreed,
            "outcome": self.result,
            "reason": reason,
            "step": self.step.name(),
        });

        if let Some(verified) = &self.verified {
            let account = verified.account();
            context["creditor"] = json!(account.creditor);
            context["amount_cents"] = json!(account.amount_cents);
            context["currency"] = json!(account.currency);
            context["due_date"] = json!(account.due_date);
        }
        if let Some(request) = request {
            context["request"] = request;
        }
        context
    }

    /// Context of the transfer made when the call matched no account.
    pub(super) fn unknown_account_context(&self, call: &CallContext) -> Value {
        json!({
            "account_found": false,
            "account_id": call.account_id,
            "caller_number": call.caller_number,
            "verification": "not_verified",
            "error": "account not found",
            "reason": "system_error",
            "step": "start",
        })
    }
}
