package io.mailroom.bench;

import io.mailroom.security.AdminAuthenticationProvider;
import io.mailroom.web.AddressRate;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.authentication.WebAuthenticationDetails;

/**
 * The CPU one wrong admin password costs (issue 11), single-threaded, so time per operation is CPU
 * per operation: {@code bcrypt} is what the app did before (a {@code DaoAuthenticationProvider}
 * over the delegating encoder, bcrypt at its default strength 10, as {@code ManagementSecurity}
 * built it); {@code digest} is {@link AdminAuthenticationProvider} with the failed-login limit off,
 * so every try is checked; {@code limited} is the same past its address's bucket, where the
 * password is not checked at all. Each operation is one {@code authenticate} of a wrong password,
 * ending in the exception Spring Security turns into 401 or 429.
 *
 * <p>Run on its own: {@code java -cp <bench class path> org.openjdk.jmh.Main AdminAuthBench}.
 * Results in docs/benchmarks.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class AdminAuthBench {
    static final String PASSWORD = "bench-admin-secret-0123456789";

    @Param({"bcrypt", "digest", "limited"})
    public String check;

    private AuthenticationProvider provider;
    private UsernamePasswordAuthenticationToken wrong;

    @Setup
    public void setUp() {
        wrong = UsernamePasswordAuthenticationToken.unauthenticated("admin", PASSWORD + "-not");
        wrong.setDetails(new WebAuthenticationDetails("192.0.2.1", null));
        provider = switch (check) {
            case "bcrypt" -> {
                PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
                DaoAuthenticationProvider dao = new DaoAuthenticationProvider(new InMemoryUserDetailsManager(
                        User.withUsername("admin").password(encoder.encode(PASSWORD)).roles("ADMIN").build()));
                dao.setPasswordEncoder(encoder);
                yield dao;
            }
            case "digest" -> new AdminAuthenticationProvider("admin", PASSWORD, new AddressRate(0, 0, 1));
            case "limited" -> {
                // one token, refilled once in ~30 years: the first try empties it, every later one is refused
                AdminAuthenticationProvider limited = new AdminAuthenticationProvider("admin", PASSWORD,
                        new AddressRate(1e-9, 1, 1));
                try {
                    limited.authenticate(wrong);
                } catch (BadCredentialsException expected) {
                    // the one checked try
                }
                yield limited;
            }
            default -> throw new IllegalArgumentException(check);
        };
    }

    @Benchmark
    public Object wrongPassword() {
        try {
            return provider.authenticate(wrong);
        } catch (AuthenticationException refused) {
            return refused;
        }
    }
}
