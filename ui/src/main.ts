import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import CannotOpen from "./components/CannotOpen.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

// Opened on `?cannot-open`: Tandem could not open its board at start, and says why.
const cannotOpen = new URLSearchParams(window.location.search).has("cannot-open");
if (cannotOpen && window.matchMedia("(prefers-color-scheme: dark)").matches) {
  document.documentElement.dataset.theme = "dark";
}

export default mount(cannotOpen ? CannotOpen : App, { target });
