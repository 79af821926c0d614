// ShiLianTong: the little every page does with JavaScript. Everything here
// only helps: each form works without it.
'use strict';
document.documentElement.classList.add('js');

// The PIN pad: its buttons fill the PIN field (a real input, typed into
// without JavaScript); the sixth digit submits the form.
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('.pad button');
  if (!b || b.type === 'submit') return;
  var form = b.form || b.closest('form');
  var input = form && form.querySelector('[data-pin]');
  if (!input) return;
  if (b.hasAttribute('data-del')) {
    input.value = input.value.slice(0, -1);
  } else if (input.value.length < 6) {
    input.value += b.getAttribute('data-digit');
    if (input.value.length === 6 && form.checkValidity()) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  }
});

// Print buttons (the store QR code): hidden without JavaScript, where the
// browser's own print does the same.
document.querySelectorAll('[data-print]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () { window.print(); });
});
