"""The books' rules, with no I/O: chart, posting rules, journal entries, periods, lettering, exports."""
