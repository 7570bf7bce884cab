// The page's only script besides textual-serve's textual.js: Start / Restart open the app again.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-restart]")) {
    button.addEventListener("click", () => window.location.assign("/"));
  }
});
