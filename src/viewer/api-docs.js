// The API's documentation page (a file of its own: the pages' Content-Security-Policy runs no
// inline script). validatorUrl null: the page fetches nothing from the internet.
SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#api", validatorUrl: null, deepLinking: true });
