// The Hono app of the fetch-handler bench (tests/bench/fetch.mjs), the same
// on every server: GET /json (a JSON route), GET /users/:id (a route with a
// parameter), GET / (text).
import { Hono } from "hono";

/** A fresh app. */
export function makeApp() {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello, World!"));
  app.get("/json", (c) => c.json({ message: "Hello, World!" }));
  app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), name: "user" }));
  return app;
}

/** What GET /json answers, for node:http to send the same bytes. */
export const JSON_BODY = JSON.stringify({ message: "Hello, World!" });
