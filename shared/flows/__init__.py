"""One module per flow; flows take their collaborators as arguments and know nothing of Azure Functions."""
