package multiple_workflows

//cloacina:workflow name=daily-sync description="Implicit: every task claimed by no other workflow"

//cloacina:workflow name=weekly-audit tasks=fetch,audit

//cloacina:workflow name=cleanup tasks=vacuum,compact,fetch
