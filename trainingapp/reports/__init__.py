"""The board's reports (contract section 5): queries and exports."""
