// Connection strings and error messages of the USB transports (no device can be attached here).
#include <doctest/doctest.h>

#include "drivers/transport/usb_device.hpp"

using namespace glasslab;
using namespace glasslab::transport;

TEST_CASE("usb:0403:6014 parses vendor and product as hex, serial and interface from the query") {
  auto o = parse_usb_address(parse_connection_string("usb:0403:6014"));
  CHECK(o.vendor_id == 0x0403);
  CHECK(o.product_id == 0x6014);
  CHECK(o.serial.empty());
  o = parse_usb_address(parse_connection_string("usb:0403:6010?serial=FT12345&interface=1"));
  CHECK(o.product_id == 0x6010);
  CHECK(o.serial == "FT12345");
  CHECK(o.interface_number == 1);
}

TEST_CASE("malformed usb addresses are usage errors naming the string") {
  CHECK_THROWS_WITH_AS(parse_usb_address(parse_connection_string("usb:0403")), doctest::Contains("usb:0403"), UsageError);
  CHECK_THROWS_AS(parse_usb_address(parse_connection_string("usb:xyz:6014")), UsageError);
  CHECK_THROWS_AS(parse_usb_address(parse_connection_string("usb:0403:16014")), UsageError);
  CHECK_THROWS_AS(make_usb_transport(parse_connection_string("serial:/dev/ttyUSB0")), UsageError);
}

TEST_CASE("the access-denied hint is the udev rule for the device") {
  const auto hint = udev_rule_hint(0x0403, 0x6014);
  CHECK(hint.find("SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"0403\", ATTRS{idProduct}==\"6014\", MODE=\"0660\", "
                  "GROUP=\"plugdev\"") != std::string::npos);
}

TEST_CASE("opening a device that is not attached lists what is attached") {
  // No FTDI device exists on the build machines; a vendor:product nobody makes cannot match.
  try {
    LibusbDevice::Options options;
    options.vendor_id = 0xFFFE;
    options.product_id = 0xFFFD;
    LibusbDevice device(options);
    FAIL("opened a device that does not exist");
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    CHECK(message.find("fffe:fffd") != std::string::npos);
    const bool listed_or_initfailed = message.find("no attached device matches") != std::string::npos ||
                                      message.find("libusb_init failed") != std::string::npos;
    CHECK(listed_or_initfailed);
  }
}

TEST_CASE("usbsim to a socket where nothing listens says so") {
  CHECK_THROWS_WITH_AS(SocketUsbTransport("/nonexistent/dir/ftdi.sock"), doctest::Contains("no simulator listening"),
                       DeviceError);
}
