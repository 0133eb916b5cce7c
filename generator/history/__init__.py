"""History: git as the audit trail (who changed what, who approved it), review, audit, the pre-receive hook."""
