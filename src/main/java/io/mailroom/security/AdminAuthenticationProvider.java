package io.mailroom.security;

import io.mailroom.web.AddressRate;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.authentication.WebAuthenticationDetails;

/**
 * Checks the one management login, {@code admin}, in microseconds, and refuses to check it at all
 * for an address that has failed too often.
 *
 * <p>Why not a {@code DaoAuthenticationProvider} with bcrypt: bcrypt exists to make a stolen hash
 * slow to crack, and it does so by making every check cost tens of milliseconds of CPU. Here
 * nothing is stored (the password comes from the configuration or is generated at start-up and
 * lives only in this process), so that cost buys nothing and hands anyone who can send an
 * {@code Authorization} header both cores for a few dozen requests a second. What is kept is the
 * SHA-256 digest of the user and of the password, and a request's are compared with
 * {@link MessageDigest#isEqual}, whose time depends on neither content: a wrong password leaks
 * nothing through timing, and comparing digests (fixed length) leaks not even the length.
 *
 * <p>Failed attempts are limited per client address ({@link AddressRate}): each attempt takes a
 * token and a right one gives it back, and while an address has none left its requests fail with
 * {@link TooManyFailedLogins} (429) before the password is looked at, so guessing is slow and a
 * right password from another address is unaffected. The address is
 * {@code request.getRemoteAddr()} (via {@link WebAuthenticationDetails}), which honours
 * {@code server.forward-headers-strategy}.
 */
public final class AdminAuthenticationProvider implements AuthenticationProvider {
    static final String ROLE = "ROLE_ADMIN";

    private final byte[] userDigest;
    private final byte[] passwordDigest;
    private final AddressRate failures;

    /**
     * @param user     the one user name
     * @param password its password, kept only as a digest
     * @param failures the failed attempts each address may make
     */
    public AdminAuthenticationProvider(String user, String password, AddressRate failures) {
        this.userDigest = sha256(user);
        this.passwordDigest = sha256(password);
        this.failures = failures;
    }

    @Override
    public Authentication authenticate(Authentication request) {
        String address = request.getDetails() instanceof WebAuthenticationDetails web ? web.getRemoteAddress() : null;
        if (address != null) {
            // taken before the check, so that concurrent guesses cannot overdraw the bucket
            AddressRate.Decision decision = failures.take(address);
            if (!decision.allowed()) {
                throw new TooManyFailedLogins("too many failed logins from this address: at most " + failures
                        + "; the credentials were not checked", Duration.ofNanos(decision.retryAfterNanos()));
            }
        }
        if (!(request.getCredentials() instanceof String password) || !matches(String.valueOf(request.getName()), password)) {
            throw new BadCredentialsException("wrong user or password");
        }
        if (address != null) {
            failures.giveBack(address);
        }
        UsernamePasswordAuthenticationToken admin = UsernamePasswordAuthenticationToken.authenticated(
                request.getName(), null, List.of(new SimpleGrantedAuthority(ROLE)));
        admin.setDetails(request.getDetails());
        return admin;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }

    /** Both digests compared, always: the time is the same whichever of the two is wrong. */
    boolean matches(String user, String password) {
        boolean userMatches = MessageDigest.isEqual(sha256(user), userDigest);
        boolean passwordMatches = MessageDigest.isEqual(sha256(password), passwordDigest);
        return userMatches & passwordMatches;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
