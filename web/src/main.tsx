// Entry point: mounts the console and asks who is signed in.
import { render } from "preact";
import { App } from "./app";
import { loadMe } from "./session";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
void loadMe();
