"""The phone system (CTI): call events in, the calls kept, missed calls called back."""
