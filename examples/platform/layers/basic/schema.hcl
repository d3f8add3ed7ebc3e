# The one schema block of every tenant. landlord retargets it to the tenant's
# database and sets its character set and collation from landlord.yaml.
schema "tenant" {}
