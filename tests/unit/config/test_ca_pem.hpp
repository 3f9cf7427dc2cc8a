#pragma once
// A self-signed P-256 CA certificate (CN=mc-test-ca), for tests that need a valid PEM file.

#include <string_view>

namespace mc {

inline constexpr std::string_view kTestCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIUI635YgGPSbdzUA0ecvyFgHAMUNwwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKbWMtdGVzdC1jYTAeFw0yNjExMjUwMjQ1MjVaFw0zNjExMjIw
MjQ1MjVaMBUxEzARBgNVBAMMCm1jLXRlc3QtY2EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATtXJ0hMvlFsuzYh48cby9I0pdNWimJq2VWMaFGk72AUPEAL+QDh+Am
abkDtdEqAFntnE/GD94bzBUyvABhgLm2o1MwUTAdBgNVHQ4EFgQUB3c+/0U4/TXH
d9Z9e+4nOxRjnF4wHwYDVR0jBBgwFoAUB3c+/0U4/TXHd9Z9e+4nOxRjnF4wDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBY9VxQXcPCACZnJVlN+c4z
jkTf+3p6075xuu3hSG4vNwIgcFHB0wissAU8oGjQ5sN+qSqU7etpQ7Zljgndg3fz
Vqg=
-----END CERTIFICATE-----
)";

}  // namespace mc
