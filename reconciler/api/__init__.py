"""The HTTP boundary: the Inference Endpoints API client (``client``), its errors and retries."""
