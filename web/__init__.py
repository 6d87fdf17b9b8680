"""The web app of 救助助手: JSON API (contract.md), web chat, cadre workbench, helpdesk, policies.

    from web.app import create_app      # FastAPI app; settings from the environment
    from web.server import serve        # `jiuzhu serve`
    from web.batch import run_batch_cli # `jiuzhu batch IN.csv -o OUT.csv`
"""
