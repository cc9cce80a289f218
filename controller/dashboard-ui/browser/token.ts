/**
 * The token form in the header: the API token is entered once per tab and kept in
 * sessionStorage only (never in a URL, a cookie or the console); "Forget" removes it.
 */
import { storedToken, storeToken } from "./api.js";
import { h, show } from "./dom.js";

/** Draws the form into `form`; `changed` runs after the token was set or forgotten. */
export function renderTokenForm(form: HTMLFormElement, changed: () => void): void {
  const redraw = (): void => renderTokenForm(form, changed);
  if (storedToken() !== undefined) {
    const forget = h("button", { type: "button", id: "token-forget" }, "Forget token");
    forget.addEventListener("click", () => {
      storeToken(undefined);
      redraw();
      changed();
    });
    form.onsubmit = (e) => e.preventDefault();
    show(
      form,
      h("span", { class: "token-set", id: "token-state" }, "API token set (this tab only)"),
      " ",
      forget,
    );
    return;
  }
  const input = h("input", {
    type: "password",
    id: "token",
    name: "token",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "API token",
    title: "The controller's API token (TRANQUIL_TOKEN), kept in this tab only",
    "aria-label": "API token, needed for pause, resume, promote and abort",
  });
  form.onsubmit = (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value === "") return;
    storeToken(value);
    input.value = "";
    redraw();
    changed();
  };
  show(form, input, " ", h("button", { type: "submit", id: "token-save" }, "Use token"));
}
