package io.mailroom.security;

import io.mailroom.config.AdminProperties;
import io.mailroom.web.AddressRate;
import io.mailroom.web.Problems;
import jakarta.servlet.http.HttpServletResponse;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may do what over HTTP (protocol.md §4): {@code /actuator/health} and
 * {@code /actuator/prometheus} are open; every other actuator endpoint needs HTTP Basic as
 * {@code admin}; everything else (the chat WebSocket, {@code /api/**}, the static UI) is open.
 *
 * <p>No sessions, no cookies, no CSRF tokens: the REST API and the actuator are called by scripts
 * with credentials on every request, so there is no browser session for CSRF to ride on. A missing
 * or wrong password is a bare 401 with {@code WWW-Authenticate: Basic} and an empty body; an address
 * past its failed-login bucket gets 429 problem+json with {@code Retry-After}, unchecked.
 *
 * <p>Cost: the filter chain applies to actuator paths only, so the REST API and the chat pay nothing
 * for it; and Spring Security's own observations are switched off in application.yml
 * ({@code management.observations.enable.spring.security}), which otherwise record a dozen timers
 * and counters per request (they cost the counters API about a third of its throughput).
 */
@Configuration(proxyBeanMethods = false)
public class ManagementSecurity {
    static final String ADMIN = "admin";
    static final String REALM = "mailroom";
    /** Client addresses with a failed-login bucket of their own: about 100 bytes each, 1 MB in all. */
    static final int FAILED_AUTH_ADDRESSES = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(ManagementSecurity.class);

    @Bean
    public SecurityFilterChain managementSecurityFilterChain(HttpSecurity http) throws Exception {
        AuthenticationEntryPoint basic = (request, response, e) -> {
            if (e instanceof TooManyFailedLogins tooMany) {
                Problems.write(response, HttpStatus.TOO_MANY_REQUESTS, tooMany.getMessage(), request.getRequestURI(),
                        tooMany.retryAfter());
                return;
            }
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\"");
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        };
        // only actuator requests enter this chain: /api/**, /ws/** and the UI skip Spring Security entirely
        http.securityMatcher(EndpointRequest.toAnyEndpoint())
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(EndpointRequest.to("health", "prometheus")).permitAll()
                        .anyRequest().hasRole("ADMIN"))
                .httpBasic(basicAuth -> basicAuth.realmName(REALM).authenticationEntryPoint(basic))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(basic))
                .csrf(csrf -> csrf.disable())
                .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(cache -> cache.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable());
        return http.build();
    }

    /**
     * The one management user, {@code admin}, checked in microseconds ({@link AdminAuthenticationProvider});
     * its password from {@code mailroom.admin.password}, or random and logged once. Failed logins
     * are limited per client address by {@code mailroom.admin.failed-auth-rate} and
     * {@code failed-auth-burst}. Being the only {@link org.springframework.security.authentication.AuthenticationProvider}
     * bean, Spring Security builds the authentication manager around it (and Spring Boot creates no
     * default user).
     */
    @Bean
    public AdminAuthenticationProvider adminAuthentication(AdminProperties admin) {
        String password = admin.password();
        if (password == null || password.isBlank()) {
            byte[] bytes = new byte[18];
            new SecureRandom().nextBytes(bytes);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            LOG.warn("mailroom.admin.password is not set; generated actuator password for user '{}': {}",
                    ADMIN, password);
        }
        return new AdminAuthenticationProvider(ADMIN, password,
                new AddressRate(admin.failedAuthRate(), admin.failedAuthBurst(), FAILED_AUTH_ADDRESSES));
    }
}
