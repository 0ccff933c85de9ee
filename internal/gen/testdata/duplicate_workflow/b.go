package duplicate_workflow

//cloacina:workflow name=twin description="declared again"
