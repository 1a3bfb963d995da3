"""Pure domain logic for the equity audit: disclosure control, reference data, synthetic data."""
