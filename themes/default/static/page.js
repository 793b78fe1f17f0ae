/* credsite page actions: copy the page link, print the certificate; and an honest answer when
 * the verifier (verify.js) cannot run at all in this browser.
 * Buttons are in the HTML with `hidden` and shown here, so without JavaScript nobody meets a
 * button that does nothing (the link stays selectable in its text field).
 * Plain ES5, so that it runs in the old browsers the verifier cannot. */
(function () {
  'use strict';

  /** Say `text` in the live region of the card `button` is in (else the page's first one). */
  function announce(text, button) {
    var card = button && button.closest ? button.closest('section') : null;
    var status = (card && card.querySelector('.copy-status')) || document.querySelector('.copy-status');
    if (!status) return;
    status.textContent = '';
    // A fresh text node, so screen readers announce a repeated message again.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function copyFallback(button) {
    var field = document.getElementById(button.getAttribute('data-copy-source') || '');
    if (!field) return false;
    field.focus();
    field.select();
    try {
      return document.execCommand('copy');
    } catch (e) {
      return false;
    }
  }

  var each = function (selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); };

  each('[data-copy]', function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      // What the field beside it shows (data-copy-source; on a credential page verify.js checks
      // it against the signed id), or the button's own data-copy text.
      var field = document.getElementById(button.getAttribute('data-copy-source') || '');
      var text = button.getAttribute('data-copy') || (field ? field.value : '');
      var done = function () { announce('Link copied.', button); };
      var failed = function () {
        if (copyFallback(button)) done();
        else announce('Could not copy: the link is selected, press Ctrl+C (or \u2318C) to copy it.', button);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, failed);
      } else {
        failed();
      }
    });
  });

  each('[data-print]', function (button) {
    if (typeof window.print !== 'function') return;
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });

  // The index page's skill filter: shows only the achievement cards aligned to the chosen skill
  // (each card lists its skills' anchors in data-skills). Without JavaScript the filter stays
  // hidden and the "Skills" section below lists the achievements of every skill instead.
  each('[data-skill-filter]', function (box) {
    var select = box.querySelector('select');
    var status = box.querySelector('[role="status"]');
    var cards = document.querySelectorAll('[data-skills]');
    if (!select || !cards.length) return;
    box.hidden = false;
    select.addEventListener('change', function () {
      var skill = select.value;
      var shown = 0;
      Array.prototype.forEach.call(cards, function (card) {
        var match = !skill || (' ' + card.getAttribute('data-skills') + ' ').indexOf(' ' + skill + ' ') >= 0;
        card.hidden = !match;
        if (match) shown++;
      });
      if (status) {
        var name = select.options[select.selectedIndex].text;
        status.textContent = skill
          ? shown + ' of ' + cards.length + ' achievements evidence \u201c' + name + '\u201d.'
          : 'All ' + cards.length + ' achievements are shown.';
      }
    });
  });

  // verify.js uses modern JavaScript; where it could not even start, say so instead of
  // leaving "Checking…" on screen for ever.
  window.addEventListener('load', function () {
    var el = document.querySelector('[data-verification="pending"][data-credential]');
    if (!el || window.credsiteVerify) return;
    el.setAttribute('data-verification', 'unsupported');
    var label = el.querySelector('.verification-label');
    var detail = el.querySelector('.verification-detail');
    if (label) label.textContent = 'Could not check here';
    if (detail) {
      detail.textContent = 'This browser cannot run the check. That says nothing about the credential itself. Download the ';
      var a = document.createElement('a');
      a.href = (el.getAttribute('data-root') || '') + el.getAttribute('data-credential');
      a.setAttribute('download', '');
      a.textContent = 'credential (JSON)';
      detail.appendChild(a);
      detail.appendChild(document.createTextNode(' and check it with credsite verify, any Open Badges 3.0 verifier, or a current browser.'));
    }
  });
})();
