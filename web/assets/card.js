// The hosted card page: Stripe.js's card field and confirmCardSetup, then tell paydesk.
// The card number goes from this page to Stripe only; paydesk's server gets an empty POST.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) {
    return;
  }
  var message = document.getElementById("message");
  var button = document.getElementById("save");
  var stripe = Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function say(text, kind) {
    message.textContent = text;
    message.className = kind || "";
  }

  function saved(text) {
    form.hidden = true;
    var done = document.getElementById("done");
    done.textContent = text;
    done.hidden = false;
  }

  // POST /card/TOKEN/<what> (no body): the answer's JSON, an Error when not ok.
  function post(what) {
    return fetch(window.location.pathname + "/" + what, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json"},
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.error || "The card could not be saved.");
        }
        return body;
      });
    });
  }

  function report() {
    return post("done").then(function (body) {
      return body.message;
    });
  }

  // After a failed confirm, the secret to try again with (the sandbox cancels a declined
  // SetupIntent; the server then makes a fresh one). Failing here only means reloading.
  function renew() {
    return post("renew").then(function (body) {
      form.setAttribute("data-secret", body.secret);
    }).catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    say("Saving your card…");
    stripe.confirmCardSetup(form.getAttribute("data-secret"), {payment_method: {card: card}})
      .then(function (result) {
        if (result.error) {
          throw new Error(result.error.message || "The card was not accepted.");
        }
        return report();
      })
      .then(saved)
      .catch(function (error) {
        say(error.message + " Check the details and try again, or reload the page.", "error");
        return renew().then(function () {
          button.disabled = false;
        });
      });
  });
})();
