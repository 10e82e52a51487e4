"""wageguard: the wage-payment supervision platform for migrant construction workers."""
