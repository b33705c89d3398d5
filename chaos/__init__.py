"""The chaos run (`make chaos`): every flow at once through the dev host while the simulators
misbehave and the dev host is killed and restarted; then the outcome is checked exactly.

`plan` says how much of each document and which faults (all from one seed), `world` starts
Azurite, the two simulators and the dev host process, `floor` plays the warehouse (despatches,
returns, adjustments, receipts), `monkey` kills the host, `outcome` counts and checks, `run`
puts them in order. docs/chaos.md explains how to read the result.
"""
