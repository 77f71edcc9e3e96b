"""Shared code of the signals-serverless functions, shipped as the common Lambda layer."""
