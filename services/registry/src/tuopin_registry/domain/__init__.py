"""Pure rules and events of filing and registration; standard library only."""
