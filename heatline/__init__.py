"""Heatline: the service-request system of a district-heating utility."""
