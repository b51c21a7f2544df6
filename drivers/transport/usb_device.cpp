#include "drivers/transport/usb_device.hpp"

#include <charconv>

#include <fmt/format.h>
#include <libusb.h>

namespace glasslab::transport {

namespace {

std::uint16_t parse_hex_id(const std::string& text, const ConnectionString& connection, const char* what) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value > 0xFFFF)
    throw UsageError(fmt::format("connection string '{}': {} '{}' is not a 4-digit hex USB id (e.g. usb:0403:6014)",
                                 connection.to_string(), what, text));
  return static_cast<std::uint16_t>(value);
}

std::string libusb_message(int code) { return fmt::format("{} ({})", libusb_error_name(code), libusb_strerror(code)); }

/// Reads the serial-number string descriptor; empty when the device cannot be opened.
std::string read_serial(libusb_device* device, const libusb_device_descriptor& descriptor) {
  if (descriptor.iSerialNumber == 0) return {};
  libusb_device_handle* handle = nullptr;
  if (libusb_open(device, &handle) != 0) return {};
  unsigned char buffer[128] = {};
  const int n = libusb_get_string_descriptor_ascii(handle, descriptor.iSerialNumber, buffer, sizeof buffer);
  libusb_close(handle);
  return n > 0 ? std::string(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(n)) : std::string();
}

struct ContextGuard {
  libusb_context* context = nullptr;
  ContextGuard() {
    if (const int rc = libusb_init(&context); rc != 0)
      throw DeviceError(fmt::format("libusb_init failed: {}", libusb_message(rc)));
  }
  ~ContextGuard() {
    if (context) libusb_exit(context);
  }
};

}  // namespace

std::string to_string(const UsbDeviceInfo& info) {
  return fmt::format("{:04x}:{:04x} bus {} device {}{}", info.vendor_id, info.product_id, info.bus, info.address,
                     info.serial.empty() ? std::string() : " serial " + info.serial);
}

std::string udev_rule_hint(std::uint16_t vendor_id, std::uint16_t product_id) {
  return fmt::format(
      "add the udev rule SUBSYSTEM==\"usb\", ATTRS{{idVendor}}==\"{:04x}\", ATTRS{{idProduct}}==\"{:04x}\", "
      "MODE=\"0660\", GROUP=\"plugdev\" to /etc/udev/rules.d/99-glasslab-ftdi.rules, run "
      "'udevadm control --reload-rules && udevadm trigger', re-plug the device and make sure your user is in "
      "group plugdev",
      vendor_id, product_id);
}

LibusbDevice::Options parse_usb_address(const ConnectionString& connection) {
  if (connection.scheme != "usb")
    throw UsageError(fmt::format("connection string '{}': expected scheme usb", connection.to_string()));
  const auto colon = connection.address.find(':');
  if (colon == std::string::npos)
    throw UsageError(fmt::format("connection string '{}': expected usb:VENDOR:PRODUCT, e.g. usb:0403:6014",
                                 connection.to_string()));
  LibusbDevice::Options options;
  options.vendor_id = parse_hex_id(connection.address.substr(0, colon), connection, "vendor id");
  options.product_id = parse_hex_id(connection.address.substr(colon + 1), connection, "product id");
  options.serial = connection.option_or("serial", "");
  options.interface_number = connection.int_option_or("interface", 0);
  return options;
}

std::vector<UsbDeviceInfo> LibusbDevice::list_attached() {
  ContextGuard guard;
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(guard.context, &list);
  if (count < 0) throw DeviceError(fmt::format("libusb_get_device_list: {}", libusb_message(static_cast<int>(count))));
  std::vector<UsbDeviceInfo> out;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor descriptor{};
    if (libusb_get_device_descriptor(list[i], &descriptor) != 0) continue;
    out.push_back({descriptor.idVendor, descriptor.idProduct, libusb_get_bus_number(list[i]),
                   libusb_get_device_address(list[i]), read_serial(list[i], descriptor)});
  }
  libusb_free_device_list(list, 1);
  return out;
}

LibusbDevice::LibusbDevice(Options options) : options_(std::move(options)) {
  if (const int rc = libusb_init(&context_); rc != 0)
    throw DeviceError(fmt::format("libusb_init failed: {}", libusb_message(rc)));
  try {
    open_matching();
  } catch (...) {
    if (handle_) libusb_close(handle_);
    libusb_exit(context_);
    throw;
  }
}

LibusbDevice::~LibusbDevice() {
  if (handle_) {
    if (claimed_ && !vanished_) libusb_release_interface(handle_, options_.interface_number);
    if (kernel_driver_detached_ && !vanished_) libusb_attach_kernel_driver(handle_, options_.interface_number);
    libusb_close(handle_);
  }
  if (context_) libusb_exit(context_);
}

void LibusbDevice::open_matching() {
  const std::string wanted = fmt::format("{:04x}:{:04x}{}", options_.vendor_id, options_.product_id,
                                         options_.serial.empty() ? "" : " serial " + options_.serial);
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(context_, &list);
  if (count < 0) throw DeviceError(fmt::format("usb {}: cannot list devices: {}", wanted, libusb_message(static_cast<int>(count))));

  std::vector<UsbDeviceInfo> attached, matching;
  std::vector<libusb_device*> matching_devices;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(list[i], &d) != 0) continue;
    UsbDeviceInfo info{d.idVendor, d.idProduct, libusb_get_bus_number(list[i]), libusb_get_device_address(list[i]), {}};
    if (d.idVendor == options_.vendor_id && d.idProduct == options_.product_id) {
      info.serial = read_serial(list[i], d);
      if (options_.serial.empty() || info.serial == options_.serial) {
        matching.push_back(info);
        matching_devices.push_back(list[i]);
      }
    }
    attached.push_back(info);
  }

  std::string listing;
  for (const auto& info : attached) listing += "\n  " + to_string(info);
  if (listing.empty()) listing = "\n  (no USB devices visible; in a container or VM pass the device through)";

  if (matching.empty()) {
    libusb_free_device_list(list, 1);
    throw DeviceError(fmt::format("usb {}: no attached device matches. Attached:{}", wanted, listing));
  }
  if (matching.size() > 1) {
    std::string serials;
    for (const auto& info : matching) serials += "\n  " + to_string(info);
    libusb_free_device_list(list, 1);
    throw DeviceError(fmt::format(
        "usb {}: {} devices match; choose one with ?serial=, e.g. usb:{:04x}:{:04x}?serial=FT12345. Matching:{}", wanted,
        matching.size(), options_.vendor_id, options_.product_id, serials));
  }

  const int open_rc = libusb_open(matching_devices.front(), &handle_);
  libusb_free_device_list(list, 1);
  if (open_rc == LIBUSB_ERROR_ACCESS)
    throw DeviceError(fmt::format("usb {} ({}): access denied. To fix: {}", wanted, to_string(matching.front()),
                                  udev_rule_hint(options_.vendor_id, options_.product_id)));
  if (open_rc != 0) throw DeviceError(fmt::format("usb {}: cannot open: {}", wanted, libusb_message(open_rc)));

  // ftdi_sio binds FTDI chips as /dev/ttyUSBn; it must let go before we can claim the interface.
  if (libusb_kernel_driver_active(handle_, options_.interface_number) == 1) {
    const int rc = libusb_detach_kernel_driver(handle_, options_.interface_number);
    if (rc != 0)
      throw DeviceError(fmt::format("usb {}: cannot detach kernel driver (ftdi_sio) from interface {}: {}", wanted,
                                    options_.interface_number, libusb_message(rc)));
    kernel_driver_detached_ = true;
  }
  if (const int rc = libusb_claim_interface(handle_, options_.interface_number); rc != 0) {
    if (rc == LIBUSB_ERROR_ACCESS)
      throw DeviceError(fmt::format("usb {}: access denied claiming interface {}. To fix: {}", wanted,
                                    options_.interface_number, udev_rule_hint(options_.vendor_id, options_.product_id)));
    throw DeviceError(fmt::format("usb {}: cannot claim interface {} (another program using it?): {}", wanted,
                                  options_.interface_number, libusb_message(rc)));
  }
  claimed_ = true;
  description_ = fmt::format("usb:{:04x}:{:04x}{} (bus {} device {})", options_.vendor_id, options_.product_id,
                             matching.front().serial.empty() ? "" : "?serial=" + matching.front().serial,
                             matching.front().bus, matching.front().address);
}

void LibusbDevice::throw_transfer_error(int code, const std::string& what) const {
  if (code == LIBUSB_ERROR_NO_DEVICE) {
    const_cast<LibusbDevice*>(this)->vanished_ = true;
    throw DisconnectedError(fmt::format("{}: device vanished during {} (unplugged or powered off)", description_, what));
  }
  if (code == LIBUSB_ERROR_TIMEOUT) throw TimeoutError(fmt::format("{}: {} timed out", description_, what), {});
  throw DeviceError(fmt::format("{}: {} failed: {}", description_, what, libusb_message(code)));
}

std::size_t LibusbDevice::control_transfer(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                                           std::uint16_t index, std::span<std::uint8_t> data,
                                           std::chrono::milliseconds timeout) {
  if (vanished_) throw DisconnectedError(fmt::format("{}: device is gone", description_));
  const int rc = libusb_control_transfer(handle_, request_type, request, value, index, data.data(),
                                         static_cast<std::uint16_t>(data.size()), static_cast<unsigned>(timeout.count()));
  if (rc < 0)
    throw_transfer_error(rc, fmt::format("control transfer {:02x} {:02x} wValue {:04x} wIndex {:04x}", request_type,
                                         request, value, index));
  return static_cast<std::size_t>(rc);
}

void LibusbDevice::bulk_write(std::uint8_t endpoint, std::string_view bytes, std::chrono::milliseconds timeout) {
  if (vanished_) throw DisconnectedError(fmt::format("{}: device is gone", description_));
  std::size_t sent_total = 0;
  while (sent_total < bytes.size()) {
    int sent = 0;
    auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data() + sent_total));
    const int rc = libusb_bulk_transfer(handle_, endpoint, data, static_cast<int>(bytes.size() - sent_total), &sent,
                                        static_cast<unsigned>(timeout.count()));
    if (rc < 0)
      throw_transfer_error(rc, fmt::format("bulk write of {} bytes to endpoint {:02x} ({} sent)", bytes.size(),
                                           endpoint, sent_total + static_cast<std::size_t>(sent)));
    sent_total += static_cast<std::size_t>(sent);
  }
}

std::string LibusbDevice::bulk_read(std::uint8_t endpoint, std::size_t max_bytes, std::chrono::milliseconds timeout) {
  if (vanished_) throw DisconnectedError(fmt::format("{}: device is gone", description_));
  std::string buffer(max_bytes, '\0');
  int received = 0;
  const int rc = libusb_bulk_transfer(handle_, endpoint, reinterpret_cast<unsigned char*>(buffer.data()),
                                      static_cast<int>(max_bytes), &received, static_cast<unsigned>(timeout.count()));
  // A timeout that still delivered bytes is a short read, not an error (libusb reports both).
  if (rc < 0 && !(rc == LIBUSB_ERROR_TIMEOUT && received > 0))
    throw_transfer_error(rc, fmt::format("bulk read of up to {} bytes from endpoint {:02x}", max_bytes, endpoint));
  buffer.resize(static_cast<std::size_t>(received));
  return buffer;
}

std::unique_ptr<UsbTransport> make_usb_transport(const ConnectionString& connection) {
  if (connection.scheme == "usb") return std::make_unique<LibusbDevice>(parse_usb_address(connection));
  if (connection.scheme == "usbsim") return std::make_unique<SocketUsbTransport>(connection.address);
  throw UsageError(fmt::format("connection string '{}': a USB device needs scheme usb: (e.g. usb:0403:6014) or "
                               "usbsim: (e.g. usbsim:/tmp/ftdi.sock)",
                               connection.to_string()));
}

}  // namespace glasslab::transport
