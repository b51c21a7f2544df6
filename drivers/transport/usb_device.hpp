#pragma once
// USB transports: the seam every USB instrument driver (the FT232H trigger box first) talks to.
//
//   UsbTransport        the narrow interface: vendor control transfers and bulk transfers
//   LibusbDevice        the real device through libusb-1.0 ("usb:0403:6014?serial=FT12345")
//   SocketUsbTransport  forwards each transfer to a simulator over a local socket
//                       ("usbsim:/path/to/socket" or "usbsim:127.0.0.1:port"), so the same driver
//                       code runs in a dry run (framing in docs/trigger-box.md, usb_socket.cpp)
//
// Errors: DisconnectedError (drivers/transport/byte_transport.hpp) when the device vanished
// (LIBUSB_ERROR_NO_DEVICE), TimeoutError when a transfer timed out, DeviceError otherwise; every
// message names the device and the transfer.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/transport/byte_transport.hpp"
#include "drivers/transport/connection_string.hpp"

struct libusb_context;
struct libusb_device_handle;

namespace glasslab::transport {

/// bmRequestType bit 7: 1 = device to host (IN). USB 2.0 spec, 9.3.
constexpr bool is_device_to_host(std::uint8_t request_type) { return (request_type & 0x80) != 0; }

class UsbTransport {
public:
  virtual ~UsbTransport() = default;

  /// A control transfer on endpoint 0. For OUT requests (bmRequestType bit 7 clear) `data` is
  /// sent; for IN requests up to data.size() bytes are received into it. Returns the number of
  /// bytes transferred.
  virtual std::size_t control_transfer(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                                       std::uint16_t index, std::span<std::uint8_t> data,
                                       std::chrono::milliseconds timeout) = 0;
  /// Writes all bytes to an OUT endpoint or throws.
  virtual void bulk_write(std::uint8_t endpoint, std::string_view bytes, std::chrono::milliseconds timeout) = 0;
  /// One bulk IN transfer of at most `max_bytes`; returns what arrived (may be shorter; raw
  /// bytes, device-specific headers such as FTDI's modem status are NOT stripped here).
  virtual std::string bulk_read(std::uint8_t endpoint, std::size_t max_bytes, std::chrono::milliseconds timeout) = 0;
  /// e.g. "usb:0403:6014 serial FT12345 (bus 1 device 7)" or "usbsim:/tmp/ftdi.sock".
  virtual std::string description() const = 0;
};

/// One attached device as enumerated (for "no device matches" messages and `glasslab check`).
struct UsbDeviceInfo {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  int bus = 0;
  int address = 0;
  std::string serial;  ///< empty when it could not be read (e.g. access denied)
};

std::string to_string(const UsbDeviceInfo& info);

/// The udev rule that grants access to an FTDI device, quoted in access-denied errors.
std::string udev_rule_hint(std::uint16_t vendor_id, std::uint16_t product_id);

/// A device opened through libusb-1.0. Opens by vendor:product (and serial number when several
/// are attached), detaches a kernel driver (ftdi_sio) if one is bound and claims the interface.
class LibusbDevice final : public UsbTransport {
public:
  struct Options {
    std::uint16_t vendor_id = 0x0403;
    std::uint16_t product_id = 0x6014;
    std::string serial;   ///< required when several devices match
    int interface_number = 0;  ///< USB interface (FTDI "interface A" is USB interface 0)
  };

  explicit LibusbDevice(Options options);
  ~LibusbDevice() override;
  LibusbDevice(const LibusbDevice&) = delete;
  LibusbDevice& operator=(const LibusbDevice&) = delete;

  std::size_t control_transfer(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                               std::uint16_t index, std::span<std::uint8_t> data,
                               std::chrono::milliseconds timeout) override;
  void bulk_write(std::uint8_t endpoint, std::string_view bytes, std::chrono::milliseconds timeout) override;
  std::string bulk_read(std::uint8_t endpoint, std::size_t max_bytes, std::chrono::milliseconds timeout) override;
  std::string description() const override { return description_; }

  /// Every USB device on the bus (serials read where permitted).
  static std::vector<UsbDeviceInfo> list_attached();

private:
  void open_matching();
  [[noreturn]] void throw_transfer_error(int libusb_error, const std::string& what) const;

  Options options_;
  libusb_context* context_ = nullptr;
  libusb_device_handle* handle_ = nullptr;
  bool claimed_ = false;
  bool kernel_driver_detached_ = false;
  bool vanished_ = false;
  std::string description_;
};

/// Parses "usb:VVVV:PPPP[?serial=S&interface=N]" into LibusbDevice options (hex ids).
LibusbDevice::Options parse_usb_address(const ConnectionString& connection);

/// Forwards transfers to a simulator over a Unix socket ("usbsim:/path") or TCP
/// ("usbsim:127.0.0.1:port"). Reply status codes are libusb's (NO_DEVICE -> DisconnectedError).
class SocketUsbTransport final : public UsbTransport {
public:
  explicit SocketUsbTransport(std::string address);
  ~SocketUsbTransport() override;
  SocketUsbTransport(const SocketUsbTransport&) = delete;
  SocketUsbTransport& operator=(const SocketUsbTransport&) = delete;

  std::size_t control_transfer(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                               std::uint16_t index, std::span<std::uint8_t> data,
                               std::chrono::milliseconds timeout) override;
  void bulk_write(std::uint8_t endpoint, std::string_view bytes, std::chrono::milliseconds timeout) override;
  std::string bulk_read(std::uint8_t endpoint, std::size_t max_bytes, std::chrono::milliseconds timeout) override;
  std::string description() const override { return "usbsim:" + address_; }

private:
  void connect_socket();
  /// Sends one request frame and returns the reply payload after the status word.
  std::string exchange(const std::string& request, std::chrono::milliseconds timeout, const std::string& what);

  std::string address_;
  int fd_ = -1;
  bool disconnected_ = false;
};

/// Chooses the transport from the scheme: "usb" -> LibusbDevice, "usbsim" -> SocketUsbTransport.
std::unique_ptr<UsbTransport> make_usb_transport(const ConnectionString& connection);

/// Wire format shared by SocketUsbTransport and, independently re-implemented, sim/trigger/
/// (documented in docs/trigger-box.md). Kinds of request frame:
namespace usbsim {
constexpr std::uint8_t kControl = 1;
constexpr std::uint8_t kBulkOut = 2;
constexpr std::uint8_t kBulkIn = 3;
/// libusb status codes carried in replies.
constexpr std::int32_t kStatusOk = 0;
constexpr std::int32_t kStatusTimeout = -7;   // LIBUSB_ERROR_TIMEOUT
constexpr std::int32_t kStatusNoDevice = -4;  // LIBUSB_ERROR_NO_DEVICE
constexpr std::int32_t kStatusPipe = -9;      // LIBUSB_ERROR_PIPE (request not supported: stall)
}  // namespace usbsim

}  // namespace glasslab::transport
