// Fills the menu; the list lives here so the page stays static HTML.
const menu = ["Espresso", "Flat white", "Cortado", "Filter of the day"];
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("menu");
  for (const item of menu) {
    const li = document.createElement("li");
    li.textContent = item;
    list.appendChild(li);
  }
});
