// app.js: asks the example's API for its numbers and shows them.
fetch("/api/stats")
  .then((res) => res.json())
  .then((s) => {
    document.getElementById("stats").textContent = `${s.connections} connection(s), up ${s.uptimeSeconds} s`;
    document.body.dataset.ready = "yes";
  })
  .catch((err) => {
    document.getElementById("stats").textContent = `error: ${err}`;
  });
