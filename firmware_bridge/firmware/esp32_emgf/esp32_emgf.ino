/*
 * esp32_emgf.ino - EMGF v1 reference firmware for ESP32 (Arduino core 2.x and 3.x).
 *
 * Samples 1..8 analog channels (ADC1) at a fixed rate from a hardware timer,
 * queues them in a lock-free SPSC ring buffer and streams EMGF v1 frames
 * (firmware_bridge/PROTOCOL.md) over USB serial and over BLE (Nordic UART
 * Service). Both links accept the single-byte commands
 *   'b'  start streaming on this link (an info frame is sent first)
 *   's'  stop streaming on this link
 *   'i'  send an info frame on this link
 * Nothing is streamed before 'b'.
 *
 * Data path:
 *   hardware timer ISR (EMGF_FS_HZ) --notify--> sampler task (ADC reads)
 *     --emgf_rb_push--> ring buffer --emgf_rb_pop (loop)--> emgf_encode_samples
 *     --> Serial.write / BLE notifications of <= ATT_MTU - 3 bytes.
 * analogRead() takes a driver lock and must not run inside an ISR on current
 * cores (arduino-esp32 issue #5822), hence the tiny ISR that only wakes a
 * high-priority task. If that task ever wakes late and misses timer ticks,
 * the missed instants are declared with emgf_rb_skip(), and a full ring
 * refuses samples (emgf_rb_push counts them): either way the host sees an
 * exact seq gap, never a silent splice. A marker frame
 * {"event": "dropped", ...} also reports the cumulative counts.
 *
 * The portable C (crc16, emgf, ringbuf) is the Arduino library in
 * ../lib/emgf_core/, the one copy the host tests compile too: PlatformIO finds
 * it in lib/ beside platformio.ini, arduino-cli takes it with
 * --library ../lib/emgf_core, the Arduino IDE from its libraries folder.
 * See ../README.md.
 *
 * NOT COMPILED IN CI: there is no ESP32 toolchain on the test machines.
 * The portable C is host-tested; this file was checked against the ESP32
 * Arduino core API by reading, not by building.
 */
#include <Arduino.h>
#include <BLE2902.h>
#include <BLEDevice.h>
#include <BLEServer.h>
#include <BLEUtils.h>
#include <freertos/FreeRTOS.h>
#include <freertos/queue.h>
#include <freertos/task.h>

#include <stdio.h>
#include <string.h>

#include <emgf_core.h>

#if defined(__has_include)
#if __has_include(<esp_arduino_version.h>)
#include <esp_arduino_version.h>
#endif
#endif
#ifndef ESP_ARDUINO_VERSION_MAJOR
#define ESP_ARDUINO_VERSION_MAJOR 2 /* 1.x/2.x share the old timer API */
#endif

/* =========================== configuration =========================== */
/* Every setting can also be given as a build flag (-D...), e.g. in
 * platformio.ini or with arduino-cli --build-property. */

#ifndef EMGF_NUM_CHANNELS
#define EMGF_NUM_CHANNELS 2 /* 1..8; see EMGF_ADC_PINS for the board limit */
#endif

#ifndef EMGF_FS_HZ
#define EMGF_FS_HZ 1000 /* sampling rate; must divide 1 000 000 */
#endif

#ifndef EMGF_SAMPLES_PER_FRAME
#define EMGF_SAMPLES_PER_FRAME 10 /* 10 ms of data per frame at 1 kHz */
#endif

#ifndef EMGF_RING_CAPACITY
#define EMGF_RING_CAPACITY 512 /* samples buffered between sampler and loop */
#endif

#ifndef EMGF_SERIAL_BAUD
#define EMGF_SERIAL_BAUD 921600 /* UART bridges; ignored by native USB CDC */
#endif

#ifndef EMGF_DEVICE_NAME
#define EMGF_DEVICE_NAME "emgf-esp32" /* BLE name and info "device" (no quotes/backslashes) */
#endif

#define EMGF_FW_VERSION "1.0.0"

/* 1: values are calibrated ADC millivolts minus EMGF_MIDPOINT_MV
 *    (analogReadMilliVolts, eFuse calibration), so one count = 1 mV at the
 *    pin = 1000 / EMGF_FRONTEND_GAIN uV at the electrodes.
 * 0: values are raw 12-bit counts minus 2048; one count = 3.3 V / 4096 at
 *    the pin (uncalibrated, 11 dB attenuation is not exactly 3.3 V). */
#ifndef EMGF_ADC_MILLIVOLTS
#define EMGF_ADC_MILLIVOLTS 1
#endif

#ifndef EMGF_MIDPOINT_MV
#define EMGF_MIDPOINT_MV 1650 /* MyoWare 2.0 RAW rests at Vs/2 with Vs = 3.3 V */
#endif

#ifndef EMGF_FRONTEND_GAIN
#define EMGF_FRONTEND_GAIN 200.0 /* MyoWare 2.0 RAW output gain (check your board) */
#endif

#ifndef EMGF_MARKER_PIN
#define EMGF_MARKER_PIN -1 /* e.g. 0 = BOOT button on most DevKits; -1 = off */
#endif

/* ADC1 pins only: ADC2 is shared with the radio drivers. */
#if defined(CONFIG_IDF_TARGET_ESP32S3)
static const uint8_t EMGF_ADC_PINS[] = {1, 2, 3, 4, 5, 6, 7, 8};
#elif defined(CONFIG_IDF_TARGET_ESP32C3)
static const uint8_t EMGF_ADC_PINS[] = {0, 1, 2, 3, 4};
#else /* classic ESP32: ADC1 channels broken out on DevKitC / WROOM boards */
static const uint8_t EMGF_ADC_PINS[] = {36, 39, 34, 35, 32, 33};
#endif

/* ============================ derived checks ========================== */

static_assert(EMGF_NUM_CHANNELS >= 1 && EMGF_NUM_CHANNELS <= 8, "1..8 channels");
static_assert(EMGF_NUM_CHANNELS <= sizeof(EMGF_ADC_PINS),
              "this board has fewer ADC1 pins than EMGF_NUM_CHANNELS");
static_assert(1000000 % EMGF_FS_HZ == 0, "EMGF_FS_HZ must divide 1e6 (1 us timer ticks)");
static_assert(EMGF_SAMPLES_PER_FRAME >= 1 && EMGF_SAMPLES_PER_FRAME <= 255, "1..255 per frame");
static_assert(EMGF_SAMPLES_FRAME_SIZE(EMGF_NUM_CHANNELS, EMGF_SAMPLES_PER_FRAME, 2) <=
                  EMGF_MAX_FRAME,
              "frame payload above 4096 bytes");
static_assert(EMGF_RING_CAPACITY >= 2 * EMGF_SAMPLES_PER_FRAME, "ring too small");

#define SAMPLE_FRAME_BYTES EMGF_SAMPLES_FRAME_SIZE(EMGF_NUM_CHANNELS, EMGF_SAMPLES_PER_FRAME, 2)
#define JSON_MAX 320

/* Nordic UART Service. The central writes commands to RX and subscribes to
 * TX notifications (names from the peripheral's point of view). */
#define NUS_SERVICE_UUID "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
#define NUS_RX_UUID "6e400002-b5a3-f393-e0a9-e50e24dcca9e" /* write, write-no-response */
#define NUS_TX_UUID "6e400003-b5a3-f393-e0a9-e50e24dcca9e" /* notify */

/* =============================== state ================================ */
/* All types and globals come before the first function so that the
 * Arduino .ino prototype generator never sees an undeclared type. */

enum Link : uint8_t { LINK_SERIAL = 0, LINK_BLE = 1, LINK_COUNT = 2 };
enum SamplerRequest : uint8_t { REQ_NONE = 0, REQ_START = 1, REQ_STOP = 2 };

EMGF_RB_STORAGE(g_rb, EMGF_RING_CAPACITY, EMGF_NUM_CHANNELS);

static hw_timer_t *g_timer = nullptr;
static TaskHandle_t g_sampler_task = nullptr;

/* loop -> sampler handshake: the loop writes a request, the sampler task
 * (the ring's producer) carries it out in its own context and clears it.
 * g_sampling is written by the sampler only. */
static volatile uint8_t g_request = REQ_NONE;
static volatile bool g_sampling = false;

/* Loop-owned. */
static bool g_streaming[LINK_COUNT] = {false, false};
static uint32_t g_reported_overflow = 0;
static uint32_t g_reported_skipped = 0;

/* BLE: written by the BLE stack's task, read by the loop. */
static BLEServer *g_server = nullptr;
static BLECharacteristic *g_tx = nullptr;
static QueueHandle_t g_ble_cmds = nullptr; /* command bytes written by the central */
static volatile bool g_ble_connected = false;
static volatile uint16_t g_ble_mtu = EMGF_BLE_DEFAULT_ATT_MTU;
static bool g_ble_was_connected = false; /* loop-owned */

static int32_t g_frame_values[EMGF_SAMPLES_PER_FRAME * EMGF_NUM_CHANNELS];
static uint8_t g_frame[SAMPLE_FRAME_BYTES];
static uint8_t g_json_frame[EMGF_OVERHEAD + JSON_MAX];

class ServerCallbacks : public BLEServerCallbacks {
  void onConnect(BLEServer *server) override {
    (void)server;
    g_ble_connected = true; /* MTU stays 23 until onMtuChanged reports the exchange */
  }
  void onDisconnect(BLEServer *server) override {
    (void)server;
    g_ble_connected = false;
    g_ble_mtu = EMGF_BLE_DEFAULT_ATT_MTU;
  }
#if defined(CONFIG_NIMBLE_ENABLED)
  void onMtuChanged(BLEServer *server, ble_gap_conn_desc *desc, uint16_t mtu) override {
    (void)server;
    (void)desc;
    g_ble_mtu = mtu;
  }
#else /* Bluedroid (all 2.x cores, and 3.x on the classic ESP32) */
  void onMtuChanged(BLEServer *server, esp_ble_gatts_cb_param_t *param) override {
    (void)server;
    g_ble_mtu = param->mtu.mtu;
  }
#endif
};

class RxCallbacks : public BLECharacteristicCallbacks {
  /* The one-argument overload exists in every core version (deprecated in
   * some 2.0.x releases, which only costs a warning). getValue() returns
   * std::string on 2.x and Arduino String on 3.x; both have length() and []. */
  void onWrite(BLECharacteristic *characteristic) override {
    auto value = characteristic->getValue();
    for (size_t k = 0; k < (size_t)value.length(); ++k) {
      uint8_t c = (uint8_t)value[k];
      xQueueSend(g_ble_cmds, &c, 0); /* BLE task context: never block */
    }
  }
};

/* ============================ sampling side =========================== */

static void IRAM_ATTR onSampleTimer() {
  BaseType_t woken = pdFALSE;
  vTaskNotifyGiveFromISR(g_sampler_task, &woken);
  if (woken == pdTRUE) {
    portYIELD_FROM_ISR();
  }
}

static int32_t readChannel(uint8_t c) {
  int32_t v;
#if EMGF_ADC_MILLIVOLTS
  v = (int32_t)analogReadMilliVolts(EMGF_ADC_PINS[c]) - EMGF_MIDPOINT_MV;
#else
  v = (int32_t)analogRead(EMGF_ADC_PINS[c]) - 2048;
#endif
  /* int16 frames: an explicit clamp, never a silent wrap (cannot trigger
   * with a 0..3.3 V input, kept for other front ends). */
  if (v < -32768) v = -32768;
  if (v > 32767) v = 32767;
  return v;
}

/* The ring's producer. Highest priority on the loop's core: it preempts the
 * loop at each tick and returns to sleep after one sample. */
static void samplerTask(void *arg) {
  (void)arg;
  int32_t values[EMGF_NUM_CHANNELS];
  for (;;) {
    uint32_t ticks = ulTaskNotifyTake(pdTRUE, portMAX_DELAY); /* ticks since last wake */
    uint8_t req = g_request;
    if (req == REQ_START) {
      emgf_rb_producer_restart(&g_rb, 0); /* seq restarts at 0 for a new stream */
      g_sampling = true;
      g_request = REQ_NONE;
      ticks = 1; /* the stream starts at this tick */
    } else if (req == REQ_STOP) {
      g_sampling = false;
      g_request = REQ_NONE;
    }
    if (!g_sampling || ticks == 0) {
      continue;
    }
    if (ticks > 1) {
      emgf_rb_skip(&g_rb, ticks - 1); /* woke late: those instants were never sampled */
    }
    uint32_t t_us = (uint32_t)micros();
    for (uint8_t c = 0; c < EMGF_NUM_CHANNELS; ++c) {
      values[c] = readChannel(c);
    }
    (void)emgf_rb_push(&g_rb, values, t_us); /* full: refused and counted, seq still advances */
  }
}

/* Ask the sampler to change state and wait (a tick is 1/EMGF_FS_HZ). */
static bool samplerRequest(uint8_t req) {
  g_request = req;
  for (int i = 0; i < 100 && g_request != REQ_NONE; ++i) {
    delay(1);
  }
  return g_request == REQ_NONE;
}

/* ============================== links ================================= */

static void bleSend(const uint8_t *data, size_t len) {
  if (!g_ble_connected || g_tx == nullptr) {
    return;
  }
  /* One notification carries at most ATT_MTU - 3 bytes; the host reassembles
   * frames from the byte stream, so frames are simply cut in order. */
  size_t chunk = emgf_ble_chunk_len(g_ble_mtu);
  while (len > 0) {
    size_t n = len < chunk ? len : chunk;
    g_tx->setValue((uint8_t *)data, n);
    g_tx->notify();
    data += n;
    len -= n;
  }
}

static void linkSend(uint8_t link, const uint8_t *data, size_t len) {
  if (len == 0) {
    return;
  }
  if (link == LINK_SERIAL) {
    Serial.write(data, len);
  } else {
    bleSend(data, len);
  }
}

static void sendToStreamingLinks(const uint8_t *data, size_t len) {
  for (uint8_t link = 0; link < LINK_COUNT; ++link) {
    if (g_streaming[link]) {
      linkSend(link, data, len);
    }
  }
}

/* ============================ frames ================================== */

static size_t buildInfoJson(char *out, size_t cap) {
#if EMGF_ADC_MILLIVOLTS
  const double uv_per_count = 1000.0 / EMGF_FRONTEND_GAIN;
#else
  const double uv_per_count = (3.3e6 / 4096.0) / EMGF_FRONTEND_GAIN;
#endif
  int n = snprintf(out, cap, "{\"device\": \"%s\", \"fw\": \"%s\", \"fs\": %.1f, \"channels\": [",
                   EMGF_DEVICE_NAME, EMGF_FW_VERSION, (double)EMGF_FS_HZ);
  for (uint8_t c = 0; c < EMGF_NUM_CHANNELS && n > 0 && (size_t)n < cap; ++c) {
    n += snprintf(out + n, cap - (size_t)n, "%s\"ch%u\"", c ? ", " : "", (unsigned)(c + 1));
  }
  if (n > 0 && (size_t)n < cap) {
    n += snprintf(out + n, cap - (size_t)n, "], \"uv_per_count\": %.6g}", uv_per_count);
  }
  return (n > 0 && (size_t)n < cap) ? (size_t)n : 0; /* 0: did not fit, send nothing */
}

static void sendInfo(uint8_t link) {
  char json[JSON_MAX];
  size_t n = buildInfoJson(json, sizeof json);
  size_t len = emgf_encode_info(g_json_frame, sizeof g_json_frame, (uint32_t)micros(), json, n);
  linkSend(link, g_json_frame, len);
}

static void sendMarkerToStreamingLinks(const char *json) {
  size_t len = emgf_encode_marker(g_json_frame, sizeof g_json_frame, (uint32_t)micros(), json,
                                  strlen(json));
  sendToStreamingLinks(g_json_frame, len);
}

/* Pop whole frames; with flush, also the last partial one. A pop never
 * spans a seq gap, so a frame may come out shorter than configured. */
static void pumpSamples(bool flush) {
  for (;;) {
    uint32_t avail = emgf_rb_count(&g_rb);
    if (avail == 0 || (!flush && avail < EMGF_SAMPLES_PER_FRAME)) {
      break;
    }
    uint32_t seq = 0, t_us = 0;
    uint32_t n = emgf_rb_pop(&g_rb, g_frame_values, EMGF_SAMPLES_PER_FRAME, &seq, &t_us);
    if (n == 0) {
      break;
    }
    size_t len = emgf_encode_samples(g_frame, sizeof g_frame, seq, t_us, EMGF_NUM_CHANNELS,
                                     (uint8_t)n, EMGF_FORMAT_INT16, g_frame_values);
    sendToStreamingLinks(g_frame, len);
  }
}

/* Tell the host how many samples the device itself dropped (the seq gap
 * already shows where; this says why). Cumulative since stream start. */
static void reportDrops() {
  uint32_t overflow = emgf_rb_overflow(&g_rb);
  uint32_t skipped = emgf_rb_skipped(&g_rb);
  if (overflow == g_reported_overflow && skipped == g_reported_skipped) {
    return;
  }
  g_reported_overflow = overflow;
  g_reported_skipped = skipped;
  char json[128];
  snprintf(json, sizeof json,
           "{\"event\": \"dropped\", \"overflow\": %lu, \"late\": %lu, \"next_seq\": %lu}",
           (unsigned long)overflow, (unsigned long)skipped,
           (unsigned long)emgf_rb_next_seq(&g_rb));
  sendMarkerToStreamingLinks(json);
}

static bool anyStreaming() {
  return g_streaming[LINK_SERIAL] || g_streaming[LINK_BLE];
}

static void startLink(uint8_t link) {
  if (!anyStreaming()) {
    /* New stream: empty ring (producer idle), then restart seq at 0. */
    emgf_rb_discard(&g_rb);
    g_reported_overflow = 0;
    g_reported_skipped = 0;
    if (!samplerRequest(REQ_START)) {
      return; /* sampler not ticking: stay stopped */
    }
  } else if (g_streaming[link]) {
    sendInfo(link); /* already streaming: 'b' just repeats the info frame */
    return;
  }
  sendInfo(link); /* the info frame precedes this link's first samples frame */
  g_streaming[link] = true;
}

static void stopLink(uint8_t link) {
  if (!g_streaming[link]) {
    return;
  }
  if (g_streaming[LINK_SERIAL] + g_streaming[LINK_BLE] == 1) {
    samplerRequest(REQ_STOP); /* last link: stop the producer, then flush */
    pumpSamples(true);
    reportDrops();
  }
  g_streaming[link] = false;
}

static void handleCommand(uint8_t link, uint8_t c) {
  switch (c) {
    case 'b':
      startLink(link);
      break;
    case 's':
      stopLink(link);
      break;
    case 'i':
      sendInfo(link);
      break;
    default:
      break; /* ignore anything else (newlines from terminals, noise) */
  }
}

/* ============================== setup/loop ============================ */

static void setupBle() {
  g_ble_cmds = xQueueCreate(32, sizeof(uint8_t));
  BLEDevice::init(EMGF_DEVICE_NAME);
  BLEDevice::setMTU(517); /* our preference; the central decides, onMtuChanged reports it */
  g_server = BLEDevice::createServer();
  g_server->setCallbacks(new ServerCallbacks());
  BLEService *service = g_server->createService(NUS_SERVICE_UUID);
  g_tx = service->createCharacteristic(NUS_TX_UUID, BLECharacteristic::PROPERTY_NOTIFY);
#if !defined(CONFIG_NIMBLE_ENABLED)
  g_tx->addDescriptor(new BLE2902()); /* CCCD, so the central can enable notifications */
#endif
  BLECharacteristic *rx = service->createCharacteristic(
      NUS_RX_UUID, BLECharacteristic::PROPERTY_WRITE | BLECharacteristic::PROPERTY_WRITE_NR);
  rx->setCallbacks(new RxCallbacks());
  service->start();
  BLEAdvertising *adv = g_server->getAdvertising();
  adv->addServiceUUID(NUS_SERVICE_UUID);
  adv->start();
}

static void setupSamplingTimer() {
  const uint32_t period_us = 1000000UL / EMGF_FS_HZ;
#if ESP_ARDUINO_VERSION_MAJOR >= 3
  g_timer = timerBegin(1000000); /* 1 MHz counter */
  timerAttachInterrupt(g_timer, &onSampleTimer);
  timerAlarm(g_timer, period_us, true, 0); /* auto-reload, forever */
#else
  g_timer = timerBegin(0, 80, true); /* timer 0, 80 MHz APB / 80 = 1 MHz */
  timerAttachInterrupt(g_timer, &onSampleTimer, true);
  timerAlarmWrite(g_timer, period_us, true);
  timerAlarmEnable(g_timer);
#endif
}

void setup() {
  Serial.begin(EMGF_SERIAL_BAUD);

  analogReadResolution(12);
  for (uint8_t c = 0; c < EMGF_NUM_CHANNELS; ++c) {
    analogSetPinAttenuation(EMGF_ADC_PINS[c], ADC_11db); /* ~0..3.1 V input range */
  }
#if EMGF_MARKER_PIN >= 0
  pinMode(EMGF_MARKER_PIN, INPUT_PULLUP);
#endif

  emgf_rb_init(&g_rb, g_rb_values, g_rb_seq, g_rb_t_us, EMGF_RING_CAPACITY, EMGF_NUM_CHANNELS,
               0);

  setupBle();

  /* Sampler on the loop's core, above everything else there. The timer
   * ticks forever; the task drops ticks while no stream is running. */
  xTaskCreatePinnedToCore(samplerTask, "emgf_sampler", 4096, nullptr, configMAX_PRIORITIES - 1,
                          &g_sampler_task, xPortGetCoreID());
  setupSamplingTimer();
}

void loop() {
  /* Commands, from both links. */
  while (Serial.available() > 0) {
    handleCommand(LINK_SERIAL, (uint8_t)Serial.read());
  }
  uint8_t c;
  while (g_ble_cmds != nullptr && xQueueReceive(g_ble_cmds, &c, 0) == pdTRUE) {
    handleCommand(LINK_BLE, c);
  }

  /* BLE connection changes. */
  bool connected = g_ble_connected;
  if (!connected && g_ble_was_connected) {
    stopLink(LINK_BLE);
    delay(100);                  /* let the stack settle before advertising again */
    g_server->startAdvertising();
  }
  g_ble_was_connected = connected;

#if EMGF_MARKER_PIN >= 0
  static bool button_was_down = false;
  static uint32_t button_ms = 0;
  bool down = digitalRead(EMGF_MARKER_PIN) == LOW;
  if (down && !button_was_down && millis() - button_ms > 50 && anyStreaming()) {
    char json[80];
    button_ms = millis();
    snprintf(json, sizeof json, "{\"event\": \"button\", \"seq\": %lu}",
             (unsigned long)emgf_rb_next_seq(&g_rb));
    sendMarkerToStreamingLinks(json);
  }
  button_was_down = down;
#endif

  /* Samples. */
  if (anyStreaming()) {
    pumpSamples(false);
    reportDrops();
  }
  delay(1); /* yield to lower-priority tasks (idle task, watchdog) */
}
