"""Schedules: when an endpoint should be up, evaluated at an instant (see ``evaluate``)."""
