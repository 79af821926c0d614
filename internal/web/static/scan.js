// ShiLianTong: scan with the camera where the browser reads QR codes
// itself (BarcodeDetector); elsewhere the photo and paste forms remain.
'use strict';
(function () {
  var box = document.getElementById('camera');
  if (!box || !('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  var video = document.getElementById('camera-video');
  var status = document.getElementById('camera-status');
  document.getElementById('camera-start').addEventListener('click', async function () {
    try {
      var detector = new BarcodeDetector({ formats: ['qr_code'] });
      var stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      var look = async function () {
        var found = await detector.detect(video).catch(function () { return []; });
        if (found.length) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          document.getElementById('payload').value = found[0].rawValue;
          document.getElementById('scan-form').submit();
          return;
        }
        requestAnimationFrame(look);
      };
      look();
    } catch (e) {
      status.textContent = e.message;
    }
  });
})();
