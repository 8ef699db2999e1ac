"""Pure evaluation rules; standard library only (verdicts arrive with the evaluation issue)."""
