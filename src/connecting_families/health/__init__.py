"""The health check that load balancers and operators poll."""
