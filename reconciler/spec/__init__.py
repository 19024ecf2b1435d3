"""The spec language: models (``models``), YAML reading (``source``) and fleet loading (``loader``)."""
