"""JupyterLab in headless Chromium, for the explorer's browser tests and benchmarks/bench_explorer_browser.py.

Debian's browser and driver: ``apt-get install chromium chromium-driver``; selenium comes with the dev
extras. :func:`missing` says what is absent (the tests skip with that reason).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the display language `make lab` gives JupyterLab (the Makefile writes the same overrides)
LAB_OVERRIDES = '{"@jupyterlab/translation-extension:plugin": {"locale": "zh_CN"}}'


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium 未安装（pip install -e '.[dev]'）"
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        return "没有 chromium（apt-get install chromium chromium-driver）"
    if not (shutil.which("chromedriver") or Path("/usr/bin/chromedriver").exists()):
        return "没有 chromedriver（apt-get install chromium-driver）"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(port: int, workdir: Path, root_dir: Path) -> subprocess.Popen:
    """JupyterLab on ``root_dir`` as ``make lab`` starts it (pre-save hook, Chinese menus), no token."""
    settings = workdir / "app-settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(LAB_OVERRIDES, encoding="utf-8")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_CONFIG_DIR=str(workdir / "config"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--allow-root",
           f"--port={port}", "--ServerApp.token=", "--ServerApp.password=", "--expose-app-in-browser",
           "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root_dir}",
           f"--LabApp.app_settings_dir={settings}",
           "--ContentsManager.pre_save_hook=perfkit.reporting.notebooks.strip_outputs_hook"]
    lab = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1)
            return lab
        except OSError:
            time.sleep(0.5)
    lab.kill()
    raise RuntimeError("JupyterLab did not start")


def stop_lab(lab: subprocess.Popen) -> None:
    lab.terminate()
    try:
        lab.wait(15)
    except subprocess.TimeoutExpired:
        lab.kill()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1200",
                "--lang=zh-CN"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)


def open_and_run(driver, port: int, notebook: str, ready_css: str | None = ".perfkit-explorer .pk-out",
                 timeout: float = 240) -> float:
    """Open ``notebook`` in JupyterLab, run all cells; returns seconds from the page load to ``ready_css``
    (the explorer's first output) — or to the kernel being idle again when there is no such element."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # ?reset: the lab opens this notebook alone, not the layout of the previous test (a restored notebook
    # could be the one 'run all' acts on)
    driver.get(f"http://127.0.0.1:{port}/lab/tree/{notebook}?reset")
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "return !!(window.jupyterapp && document.querySelector('.jp-Notebook'))"))
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "const w = jupyterapp.shell.currentWidget; return !!(w && w.sessionContext && "
        "w.sessionContext.session && w.sessionContext.session.kernel && "
        "w.sessionContext.session.kernel.status === 'idle');"))
    # 'run all' acts on the active notebook: make it this one (the lab may have restored another)
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "const w = jupyterapp.shell.currentWidget; jupyterapp.shell.activateById(w.id);"
        "return !!(w.context && w.context.path.endsWith(arguments[0]));", notebook))
    t = time.perf_counter()
    driver.execute_script("jupyterapp.commands.execute('notebook:run-all-cells');")
    if ready_css:
        WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
            "return document.querySelectorAll(arguments[0]).length > 0 && "
            "document.querySelectorAll('.perfkit-explorer table').length > 0", ready_css))
    else:  # every code cell run: its prompt shows an execution count, [1] … (not [ ] or [*])
        try:
            WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
                "const p = [...jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];"
                "return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent));"))
        except TimeoutException:
            raise AssertionError(f"{notebook} did not finish running in {timeout:.0f} s:\n" + notebook_state(driver)) from None
    return time.perf_counter() - t


def notebook_state(driver) -> str:
    """The prompts, the kernel status and every output's text of the current notebook: what a timeout
    needs to say (which cell stopped, with what message)."""
    return driver.execute_script(
        "const w = jupyterapp.shell.currentWidget;"
        "const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        "const cells = [...w.node.querySelectorAll('.jp-CodeCell')].map((c, i) => "
        "  i + ' ' + (c.querySelector('.jp-InputArea-prompt') || {}).textContent + ' ' + "
        "  [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent.slice(0, 400)).join(' | '));"
        "const dialogs = [...document.querySelectorAll('.jp-Dialog')].map(d => d.textContent.slice(0, 300));"
        "return 'kernel: ' + (k ? k.status : 'none') + '\\n' + cells.join('\\n') + '\\ndialogs: ' + dialogs.join(' | ');")


def warm_up_done(driver) -> bool:
    """The background warm-up's progress bar (ipywidgets 8 renders ``widget-hprogress``) gone."""
    return driver.execute_script(
        "const p = document.querySelector('.perfkit-explorer .pk-warm, .perfkit-explorer .widget-hprogress'); "
        "return !p || p.offsetParent === null;")


def select(driver, label: str, *texts: str) -> float:
    """Choose ``texts`` in the drop-down or multi-select labelled ``label`` as a user would (a change event
    on the select); returns the event's time (performance.now())."""
    return driver.execute_script("""
        const [label, texts] = arguments;
        const box = [...document.querySelectorAll('.perfkit-explorer .widget-dropdown, .perfkit-explorer .widget-select-multiple')]
            .find(b => b.querySelector('label') && b.querySelector('label').textContent.trim() === label);
        const sel = box.querySelector('select');
        const text = o => o.textContent.replace(/\u00a0/g, ' ').trim();
        const t0 = performance.now();
        if (sel.multiple) {
            for (const o of sel.options) o.selected = texts.includes(text(o));
        } else {
            sel.value = [...sel.options].find(o => text(o) === texts[0]).value;
        }
        sel.dispatchEvent(new Event('change', {bubbles: true}));
        return t0;""", label, list(texts))


def options_of(driver, label: str, selected: bool = False) -> list[str]:
    return driver.execute_script("""
        const box = [...document.querySelectorAll('.perfkit-explorer .widget-dropdown, .perfkit-explorer .widget-select-multiple')]
            .find(b => b.querySelector('label') && b.querySelector('label').textContent.trim() === arguments[0]);
        return [...box.querySelector('select').options].filter(o => !arguments[1] || o.selected)
            .map(o => o.textContent.replace(/\u00a0/g, ' ').trim());""", label, selected)


def click(driver, xpath: str) -> float:
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.XPATH, xpath)
    t0 = driver.execute_script("return performance.now();")
    el.click()
    return t0


def tab(name: str) -> str:
    return (f"//*[contains(@class,'tabLabel') or contains(@class,'TabBar-tabLabel')][normalize-space()='{name}']")


def wait_for(driver, script: str, *args: object, timeout: float = 180) -> object:
    """Wait until ``script`` returns something truthy; returns it."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(script, *args))
