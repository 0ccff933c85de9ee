// Package workflow_keys uses every key of //cloacina:workflow.
//
//cloacina:workflow name=workflow_keys description="Quarterly \"full\" report" author=ops-team
//cloacina:workflow tenant=acme_corp tasks=report,collect
package workflow_keys
