// The console's own behaviour, served from here (the Content-Security-Policy allows no inline handlers).
// A form with data-confirm asks before it is sent.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
