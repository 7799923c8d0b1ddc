"""The reviewers' web app and its JSON API.

Known shortcoming: the web app is not built yet; reviewers use the command line
(`offermap candidates`, `offermap accept`, `offermap reject`) in the meantime.
"""
