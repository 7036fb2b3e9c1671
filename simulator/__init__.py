"""A stand-alone BeyondTrust Remote Support appliance simulator.

It speaks the appliance's OAuth, command, reporting and outbound-event protocols on
loopback, keeps everything in memory, and uses only the standard library. It imports
nothing from the product, and the product imports nothing from it.
"""
