// The hosted invoice page: pay with a saved card, or a new one through Stripe.js
// (confirmCardSetup, then paydesk pays with it), and finish 3-D Secure with
// confirmCardPayment. The card number goes from this page to Stripe only; paydesk's server
// gets ids (a SetupIntent, a saved card, an attempt) and asks Stripe what happened.
(function () {
  "use strict";
  var base = window.location.pathname.replace(/\/$/, "");
  var message = document.getElementById("message");
  var form = document.getElementById("pay-form");
  var action = document.getElementById("action");
  var holder = form || action;
  if (!holder) {
    return;
  }
  var stripe = Stripe(holder.getAttribute("data-key"));

  function say(text, kind) {
    message.textContent = text;
    message.className = kind || "";
  }

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/json"},
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.error || "The payment could not be made just now.");
        }
        return answer;
      });
    });
  }

  function finished(answer) {
    if (answer.action) {
      return authenticate(answer.action);
    }
    if (answer.status !== "succeeded") {
      throw new Error(answer.message);
    }
    holder.hidden = true;
    var done = document.getElementById("done");
    done.textContent = answer.message;
    done.hidden = false;
    var badge = document.querySelector(".status");
    if (badge) {
      badge.textContent = "PAID";
      badge.className = "status paid";
    }
  }

  function authenticate(pending) {
    say("Your bank wants to confirm this payment…");
    return stripe.confirmCardPayment(pending.secret, {payment_method: pending.payment_method})
      .then(function () {
        // Whatever the browser says, the server asks Stripe.
        return post("/attempts/" + pending.attempt + "/done");
      })
      .then(finished);
  }

  function failed(error) {
    say(error.message, "error");
    var button = holder.querySelector("button");
    if (button) {
      button.disabled = false;
    }
  }

  if (action) {
    document.getElementById("authenticate").addEventListener("click", function (event) {
      event.target.disabled = true;
      var attempt = action.getAttribute("data-attempt");
      post("/attempts/" + attempt + "/action")
        .then(function (pending) {
          pending.attempt = attempt;
          return authenticate(pending);
        })
        .catch(failed);
    });
    return;
  }

  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var newCard = document.getElementById("new-card");
  function chosen() {
    var picked = form.querySelector("input[name=card]:checked");
    return picked ? picked.value : "new";
  }
  function showNew() {
    newCard.hidden = chosen() !== "new";
  }
  form.addEventListener("change", showNew);
  showNew();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("pay");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    say("Paying…");
    var paying;
    if (chosen() === "new") {
      paying = post("/card").then(function (setup) {
        return stripe.confirmCardSetup(setup.secret, {payment_method: {card: card}});
      }).then(function (result) {
        if (result.error) {
          throw new Error(result.error.message || "The card was not accepted.");
        }
        return post("/pay", {setup_intent: result.setupIntent.id});
      });
    } else {
      paying = post("/pay", {card: parseInt(chosen(), 10)});
    }
    paying.then(finished).catch(failed);
  });
})();
