package empty_workflow

//cloacina:workflow name=empty-workflow
