"""The accounting gateway: turns business events into balanced journal entries, by rules that are data."""
