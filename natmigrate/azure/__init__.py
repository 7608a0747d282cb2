"""The only package that imports the Azure SDKs: credentials, clients, the gateway, live reading."""
